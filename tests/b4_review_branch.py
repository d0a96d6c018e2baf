"""b4 review's side of the agent test, with b4's own code, run as a script
in a subprocess so b4's global configuration stays out of the test process.

    python b4_review_branch.py create TOPDIR SERIES.mbox BASE BRANCH SKIP_INDEXES
    python b4_review_branch.py agent TOPDIR
    python b4_review_branch.py integrate TOPDIR BRANCH

``create`` builds a review branch as ``b4 review`` does:
the series mbox (``git format-patch --cover-letter --thread``) is read by
b4's ``LoreMailbox``, made am-ready, applied with
``git_fetch_am_into_repo`` (b4's sparse worktree and FETCH_HEAD) and turned
into a review branch by ``b4.review.create_review_branch``, the function the
TUI calls.  Then the patches at SKIP_INDEXES (0-based, comma-separated)
are marked ``"patch-state": "skip"`` by b4's ``_set_patch_state`` and saved
with ``save_tracking_ref``, as the TUI's skip key does.
"""

import io
import json
import os
import shlex
import subprocess
import sys

import b4
import b4.review
from b4.command import setup_parser


def setup(topdir: str) -> None:
    """What ``b4`` does before any command: its configuration, offline."""
    b4.setup_config(setup_parser().parse_args(["--offline-mode", "review", "tui"]), topdir=topdir)
    b4.can_network = False


def create(topdir: str, mbox: str, base: str, branch: str, skip: str) -> None:
    setup(topdir)
    with open(mbox, "rb") as fh:
        msgs = b4.mailsplit_bytes(fh.read())
    lmbx = b4.LoreMailbox()
    for msg in msgs:
        lmbx.add_message(msg)
    lser = lmbx.get_series(codereview_trailers=False)  # no lore lookups
    assert lser is not None, "b4 found no series in the mbox"
    out = io.BytesIO()
    b4.save_git_am_mbox(lser.get_am_ready(), out)
    linkmask = str(b4.get_main_config().get("linkmask"))
    b4.git_fetch_am_into_repo(topdir, ambytes=out.getvalue(), at_base=base)
    b4.review.create_review_branch(topdir, branch, base, lser, linkmask % lser.patches[1].msgid, linkmask)
    if skip:
        cover, tracking = b4.review.load_tracking(topdir, branch)
        usercfg = b4.get_user_config()
        for index in skip.split(","):
            b4.review._set_patch_state(tracking["patches"][int(index)], usercfg, "skip")
        assert b4.review.save_tracking_ref(topdir, branch, cover, tracking)


def agent(topdir: str) -> None:
    """Run the configured agent exactly as the TUI's ``action_agent`` does
    (b4/review_tui/_review_app.py): shlex-split ``b4.review-agent-command``,
    append the prompt sentence, run it at the top of the repository."""
    setup(topdir)
    config = b4.get_main_config()
    sp = shlex.shlex(str(config["review-agent-command"]), posix=True)
    sp.whitespace_split = True
    prompt_path = os.path.join(topdir, str(config["review-agent-prompt-path"]))
    assert os.path.isfile(prompt_path), f"b4 refuses to run the agent: {prompt_path} is missing"
    cmdargs = list(sp) + [f"Read and execute the prompt from {prompt_path}"]
    sys.exit(subprocess.Popen(cmdargs, cwd=topdir).wait())


def integrate(topdir: str, branch: str) -> None:
    """Read the agent's files back with b4's reader, as the TUI does after
    the agent ran, and print the tracking data b4 then saved."""
    setup(topdir)
    cover, tracking = b4.review.load_tracking(topdir, branch)
    first = tracking["series"]["first-patch-commit"]
    ecode, out = b4.git_run_command(topdir, ["rev-list", "--reverse", f"{first}~1..{branch}~1"])
    assert ecode == 0
    done = b4.review._integrate_agent_reviews(topdir, cover, tracking, out.split(), tracking["patches"],
                                              branch=branch)
    _cover, saved = b4.review.load_tracking(topdir, branch)
    json.dump({"integrated": done, "tracking": saved}, sys.stdout)


if __name__ == "__main__":
    {"create": create, "agent": agent, "integrate": integrate}[sys.argv[1]](*sys.argv[2:])
