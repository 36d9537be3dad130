"""商务大脑 Commerce Brain: plan monitoring and enterprise policy for a city commerce bureau."""

__version__ = "0.1.0"
