import sys, importlib
from collections import OrderedDict
from google.protobuf import text_format
from flytekit.configuration import Image, ImageConfig, SerializationSettings
from flytekit.tools.translator import get_serializable
img = Image(name="default", fqn="test", tag="tag")
ss = SerializationSettings(project="p", domain="d", version="v", env=None, image_config=ImageConfig(default_image=img, images=[img]))
mod = importlib.import_module(sys.argv[1])
wf = getattr(mod, sys.argv[2])
spec = get_serializable(OrderedDict(), ss, wf)
m = spec.to_flyte_idl()
print(text_format.MessageToString(m))
