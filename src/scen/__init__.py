"""scen: a lab for neural-network training failures.

Real Keras questions rebuilt as scenarios, run on Keras's backends and on a native PyTorch
port, logged to TensorBoard, and diagnosed.
"""

__version__ = "0.1.0"
