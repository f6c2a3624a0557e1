from models.parekh.data import load_split

if __name__ == "__main__":
    for root, split in (("corpora/synthetic", "train"), ("corpora/pjs", "train"), ("corpora/pjs", "valid")):
        print(root, split, len(load_split(root, split, cache_dir="runs/cache")), flush=True)
