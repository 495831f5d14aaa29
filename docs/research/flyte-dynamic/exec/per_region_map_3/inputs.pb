
+
regions 


eu


us


ap

day	

mon