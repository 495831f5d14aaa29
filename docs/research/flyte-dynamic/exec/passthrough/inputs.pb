

day	

mon