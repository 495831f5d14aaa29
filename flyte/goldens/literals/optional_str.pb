

v
J


hi	Z
str