def csp(request):
    """``csp_nonce``: the attribute value an inline ``<script>`` needs to run
    under this request's Content-Security-Policy (``core.middleware``)."""
    return {"csp_nonce": getattr(request, "csp_nonce", "")}
