"""Jobs: long work done by a worker (`survey worker`), with progress, off the request.

See `survey.jobs.queue` (the table's rules), `survey.jobs.registry` (the kinds of job)
and `survey.jobs.runner` (claiming and running them).
"""
