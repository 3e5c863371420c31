"""NVIDIA StyleGAN2-ADA and StyleGAN3 generators, read from network pickles as data."""
