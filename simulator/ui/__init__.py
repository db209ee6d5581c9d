"""The live view: a web page (``static/``, served at ``/simulator/ui/``) over the control
API and its event stream, on the mTLS listener and on the optional plain-HTTP
``--ui-port`` listener (loopback only)."""
