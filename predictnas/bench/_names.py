"""The method names ``predictnas benchmark search`` and ``suite`` know (no imports: the CLI lists them in its help)."""

#: predictnas proposers by method name.
PROPOSER_METHODS = {"predictnas": "bo", "nsga2-surrogate": "nsga2-surrogate", "random": "random", "nsga2": "nsga2"}
#: Optuna samplers (optional extra ``bench``).
OPTUNA_METHODS = ("optuna-tpe", "optuna-nsga2", "optuna-gp")
#: Other libraries' searches (optional extra ``bench``): pymoo, Syne Tune, SMAC3.
PEER_METHODS = ("pymoo-nsga2", "syne-re", "syne-ehvi", "smac-parego")
METHODS = (*PROPOSER_METHODS, *OPTUNA_METHODS, *PEER_METHODS)
#: The Python package each peer method needs.
PEER_PACKAGES = {**{m: "optuna" for m in OPTUNA_METHODS}, "pymoo-nsga2": "pymoo", "syne-re": "syne_tune",
                 "syne-ehvi": "syne_tune", "smac-parego": "smac"}
#: What ``predictnas benchmark suite`` runs by default.
SUITE_METHODS = ("predictnas", "random", "pymoo-nsga2", "optuna-tpe", "optuna-gp", "optuna-nsga2", "syne-re", "syne-ehvi",
                 "smac-parego")
