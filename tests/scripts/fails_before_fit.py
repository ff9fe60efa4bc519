print("fails_before_fit: loading")
data = {}["train"]  # the script's own bug, before any fit
