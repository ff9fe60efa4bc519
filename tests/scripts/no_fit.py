print("no_fit: nothing to train")
