"""Reading a run back the way TensorBoard does."""

from pathlib import Path


def accumulator(path):
    from scen.tensorboard import summary_writer_class

    summary_writer_class()  # the same TensorFlow-free TensorBoard as the writer
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(path), size_guidance={"scalars": 0, "histograms": 0, "tensors": 0})
    acc.Reload()
    return acc


def scalars(path, tag) -> list[float]:
    acc = accumulator(path)
    if tag in acc.Tags()["scalars"]:
        return [e.value for e in acc.Scalars(tag)]
    return []


def run_dirs(logdir) -> list[Path]:
    return sorted(p for p in Path(logdir).glob("*/*") if p.is_dir())
