
!
regions


eu


us

day	

mon