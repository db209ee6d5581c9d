"""Request bodies: the rules every JSON body is read with, and the one 400 that names
what is wrong in it.

Shared by the v4 API's bodies (``simulator.api``), the domain's (``remotes``,
``monitors``, ``scenario``) and the control API's, without the domain importing the
API: pydantic only, no aiohttp.

- ``rules``: strict types, durations, date-times, rules between members, strings, URLs;
- ``errors``: a pydantic ``ValidationError`` as the 400 naming the offending field.
"""
