print("core-bench")
