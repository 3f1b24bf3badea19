"""The pages people work in, one module per concern, all on the one ``web`` blueprint.

``worklist`` (my tasks, start forms), ``tasks`` (a task's form), ``grid`` (many tasks of one kind on
one page, a row each) with ``taskkinds`` (the open tasks of a kind, the next one, progress),
``cases`` (lists and a case),
``panels`` (a process's own view of a case, e.g. the exam council, from its policy's
``case_panel``, and the reminders its buttons send), ``files`` (a case's files, comments and signed copies), ``documents`` (a case's
official documents: generating and listing them), ``dashboard`` (targets and the talent list),
``audit`` (histories, verification),
``accounts`` (the admin's list of users, closing accounts), ``notifications`` (the reader's
reminders, marked read), ``search`` (cases and talents by name, number or key), ``talent`` (one
talent's page);
``formfields`` and ``formpost`` turn a form's JSON Schema into fields and a posted form back into
data. Each page calls the same services as the JSON API and only turns their answers into HTML.
"""
