"""The files ``reviewbot rules new`` writes: a rule that validates and a
test file whose cases pass, for the author to edit into the real thing."""

from __future__ import annotations

_ASM_RULE = """\
id: {id}
title: FILL-IN say in a few words what is wrong
severity: warning
confidence: medium
languages: [arm64-asm]
scope:
  paths:
    include: ["arch/arm64/kvm/hyp/**"]
match:
  # FILL-IN the instruction this rule looks for; $R binds a register
  pattern: msr $SYS, xzr
  where:
    - {{metavariable: $SYS, kind: sysreg}}
message: "FILL-IN what is wrong with writing zero to $SYS here, and what to do instead"
fix:
  template: "FILL-IN the corrected line"
  safety: display-only
references:
  - "FILL-IN a commit, thread or manual section"
description: |
  ## What it checks
  FILL-IN

  ## Why it matters
  FILL-IN

  ## Example
  ```
  \tmsr\tvbar_el2, xzr
  ```

  ## Use instead
  ```
  \tFILL-IN
  ```

  ## References
  FILL-IN
"""

_ASM_CASES = """\
// reviewbot-test: path=arch/arm64/kvm/hyp/entry.S
// Cases for {id}: a 'ruleid:' line marks the next line as a finding,
// an 'ok:' line marks it as clean.
example:
\t// ruleid: {id}
\tmsr\tvbar_el2, xzr
\t// ok: {id}
\tmsr\tvbar_el2, x0
\tret
"""

_C_RULE = """\
id: {id}
title: FILL-IN say in a few words what is wrong
severity: warning
confidence: medium
languages: [c]
scope:
  paths:
    include: ["arch/arm64/kvm/hyp/**/*.c"]
regex:
  # FILL-IN a Python regular expression; (?P<NAME>...) groups bind $NAME
  pattern: "\\\\b(?P<FN>your_function)\\\\s*\\\\("
message: "FILL-IN what is wrong with $FN() here, and what to do instead"
references:
  - "FILL-IN a commit, thread or manual section"
description: |
  ## What it checks
  FILL-IN

  ## Why it matters
  FILL-IN

  ## Example
  ```
  \tyour_function(x);
  ```

  ## Use instead
  ```
  \tFILL-IN
  ```

  ## References
  FILL-IN
"""

_C_CASES = """\
// reviewbot-test: path=arch/arm64/kvm/hyp/nvhe/switch.c
// Cases for {id}: a 'ruleid:' line marks the next line as a finding,
// an 'ok:' line marks it as clean.
static void example(int x)
{{
\t// ruleid: {id}
\tyour_function(x);
\t// ok: {id}
\tother_function(x);
}}
"""


def new_rule(rule_id: str, language: str) -> tuple[str, str]:
    """(rule file text, test file text) for a new rule ``rule_id``."""
    if language == "c":
        return _C_RULE.format(id=rule_id), _C_CASES.format(id=rule_id)
    return _ASM_RULE.format(id=rule_id), _ASM_CASES.format(id=rule_id)
