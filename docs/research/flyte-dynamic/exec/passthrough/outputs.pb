

o0	

mon