"""A Vocos-style iSTFT vocoder: ConvNeXt blocks at the frame rate, an inverse-FFT head."""
