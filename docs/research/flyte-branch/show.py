import sys, importlib, json
from collections import OrderedDict
from google.protobuf.json_format import MessageToDict
from flytekit.configuration import Image, ImageConfig, SerializationSettings
from flytekit.tools.translator import get_serializable
img = Image(name="default", fqn="test", tag="tag")
ss = SerializationSettings(project="p", domain="d", version="v", env=None, image_config=ImageConfig(default_image=img, images=[img]))
mod = importlib.import_module(sys.argv[1])
def expr(e):
    if 'conjunction' in e:
        c=e['conjunction']; return "(%s %s %s)"%(expr(c['left_expression']), c.get('operator','AND'), expr(c['right_expression']))
    c=e['comparison']
    def op(o): return json.dumps(o, separators=(',',':'))
    return "{%s %s %s}"%(op(c['left_value']), c.get('operator','EQ'), op(c['right_value']))
def walk(n, ind=''):
    md=n.get('metadata',{})
    kind = 'branch' if 'branch_node' in n else ('task:'+n['task_node']['reference_id']['name'] if 'task_node' in n else ('wf:'+n['workflow_node']['sub_workflow_ref']['name'] if 'workflow_node' in n else '?'))
    print(f"{ind}id={n['id']!r} name={md.get('name')!r} md={ {k:v for k,v in md.items() if k!='name'} } {kind} upstream={n.get('upstream_node_ids',[])} aliases={n.get('output_aliases',[])}")
    for b in n.get('inputs',[]): print(f"{ind}   in {b['var']!r} <- {json.dumps(b['binding'])}")
    if 'branch_node' in n:
        ie=n['branch_node']['if_else']
        print(f"{ind}   if {expr(ie['case']['condition'])}"); walk(ie['case']['then_node'], ind+'      ')
        for o in ie.get('other',[]):
            print(f"{ind}   elif {expr(o['condition'])}"); walk(o['then_node'], ind+'      ')
        if 'else_node' in ie: print(f"{ind}   else"); walk(ie['else_node'], ind+'      ')
        if 'error' in ie: print(f"{ind}   else error {ie['error']}")
for name in sys.argv[2:]:
    wf = getattr(mod, name)
    spec = get_serializable(OrderedDict(), ss, wf).to_flyte_idl()
    for t in [spec.template]+list(spec.sub_workflows):
        d = MessageToDict(t, preserving_proto_field_name=True)
        print(f"===== {d['id']['name']}  iface_out={list(d['interface'].get('outputs',{}).get('variables',{}).keys())}")
        for n in d.get('nodes',[]): walk(n)
        print("   outputs:", json.dumps(d.get('outputs',[])))
    print()
