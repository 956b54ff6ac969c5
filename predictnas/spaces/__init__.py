"""Search spaces defined by declarative specs (``encodings/*.toml``)."""

from predictnas.spaces._arch import Arch
from predictnas.spaces._params import Param
from predictnas.spaces._space import Constraint, SearchSpace, Stage
from predictnas.spaces._spec import list_spaces, load_space, restrict, space_from_spec

__all__ = ["Arch", "Constraint", "Param", "SearchSpace", "Stage", "list_spaces", "load_space", "restrict", "space_from_spec"]
