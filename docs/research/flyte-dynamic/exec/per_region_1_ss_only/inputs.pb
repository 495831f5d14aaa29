

regions



eu

day	

mon