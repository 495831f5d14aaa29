
0

data_point" 












d