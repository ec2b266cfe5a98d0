"""Block the network in every Python process of a test run, notebook kernels included.

`make test` puts this folder on PYTHONPATH, so each interpreter it starts (pytest and
the Jupyter kernels nbval launches) imports it at start-up. Connections and name
look-ups are allowed to this machine only; anything else fails at once with the
address it tried, so a test that reaches for the network fails loudly instead of
passing on a machine that happens to be online.
"""
import ipaddress
import socket

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", ""}


def _is_local(host) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode()
    host = str(host).strip("[]").lower()
    if host in _LOCAL_NAMES:
        return True
    try:
        address = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _refuse(what, target):
    raise OSError(f"network access blocked in tests: {what} {target!r} (only localhost is allowed)")


_connect, _connect_ex, _getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo


def _guarded_connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
        _refuse("connect to", address)
    return _connect(self, address)


def _guarded_connect_ex(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
        _refuse("connect to", address)
    return _connect_ex(self, address)


def _is_address(host) -> bool:
    try:
        ipaddress.ip_address(str(host.decode() if isinstance(host, bytes) else host).strip("[]").split("%")[0])
        return True
    except ValueError:
        return False


def _guarded_getaddrinfo(host, *args, **kwargs):
    if not (_is_local(host) or _is_address(host)):  # a literal address needs no look-up; connect checks it
        _refuse("name look-up of", host)
    return _getaddrinfo(host, *args, **kwargs)


socket.socket.connect = _guarded_connect
socket.socket.connect_ex = _guarded_connect_ex
socket.getaddrinfo = _guarded_getaddrinfo
socket.NETWORK_GUARD = True  # lets a test check that the guard is active
