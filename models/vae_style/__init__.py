"""Voice-style VAE (after "Scream Machine"): a convolutional VAE on log-mel patches, clean voice → growl."""
