"""Project tracking (项目推进): the landmark projects as data, their monthly reports, the
schedule (序时进度) and lights, roll-ups and the warnings they raise. Pure and columnar: frames
in, frames out; the store and the files are read by ``store/`` and ``io/``."""
