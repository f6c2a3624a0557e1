"""Fill the AlignSTS feature cache (phone posteriors, mel, sung F0) of the retrain's corpora and PJS valid."""

from models.alignsts.data import load_split

if __name__ == "__main__":
    for root, split in (("corpora/pjs", "train"), ("corpora/pjs", "valid"), ("corpora/synthetic", "train")):
        print(root, split, len(load_split(root, split, cache_dir="runs/cache")), flush=True)
