"""Rules: the rule files, their one format and their tests.

``schema.json`` defines the format (``schema`` reads it and tells the
loader its keys; ``validate`` enforces it); ``loader`` builds Rules and RuleSets from YAML
(``yaml_lines`` keeps each key's line for error messages); ``cache`` keeps
compiled rules between runs; ``harness`` runs a rule on its annotated
cases (``reviewbot rules test``).
"""

from reviewbot.faces import face

__all__, __getattr__, __dir__ = face(__name__, {
    "Rule": "loader",
    "RuleSet": "loader",
    "load_rules": "loader",
    "load_rule_file": "loader",
    "validate_rule_file": "validate",
    "run_rule_tests": "harness",
    "case_files": "harness",
})
