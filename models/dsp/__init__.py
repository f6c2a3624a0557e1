"""Model-based converters (WORLD vocoder): work on any voice, need no training, and are the baselines."""
