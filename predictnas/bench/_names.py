"""The method names ``predictnas benchmark search`` knows (no imports: the CLI lists them in its help)."""

#: predictnas proposers by method name.
PROPOSER_METHODS = {"predictnas": "bo", "nsga2-surrogate": "nsga2-surrogate", "random": "random", "nsga2": "nsga2"}
#: Optuna samplers (optional extra ``optuna``).
OPTUNA_METHODS = ("optuna-tpe", "optuna-nsga2", "optuna-gp")
METHODS = (*PROPOSER_METHODS, *OPTUNA_METHODS)
