"""What the bot does with each kind of input, one module per feature.

* `dialogs`: the router for dialog invokes (`task/fetch`, `task/submit`) and
  the shapes of their answers;
* `setup`, `answers`, `team` (action points, results, closing), `support`
  (resources, asking to talk, claiming, stopping check-ins) and `skip`: the
  fetch and submit handler of each dialog, by verb;
* `commands`: typed commands (`debrief`, `skip`, `summary`, `help`);
* `buttons`: `Action.Submit` buttons that arrive as messages (in a personal chat).
"""
