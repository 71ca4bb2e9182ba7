/* Test-only shim between lanchat.exe and Wine 8's ws2_32.dll; never shipped.
 *
 * quinn-udp (QUIC's UDP layer) prepares every socket with calls that real Windows answers
 * and Wine 8 refuses: getsockopt(IPPROTO_IPV6, IPV6_V6ONLY) on an IPv4 socket (WSAEOPNOTSUPP)
 * and setsockopt(IP_RECVECN / IPV6_RECVECN) (WSAENOPROTOOPT, Wine does not know ECN). The
 * test copy of lanchat.exe imports this DLL (named ws2_lc.dll: the import's name is patched
 * in the copy, same length) instead of ws2_32.dll; every other function is forwarded to
 * ws2_32.dll by the .def file scripts/test-windows.sh generates from the .exe's imports.
 * Here the two calls fall back to what Windows answers: "not IPv6-only", "ECN reporting on"
 * (without it the socket simply sees no ECN marks, which QUIC tolerates). */
#include <winsock2.h>
#include <ws2tcpip.h>

#ifndef IP_RECVECN
#define IP_RECVECN 50
#endif
#ifndef IPV6_RECVECN
#define IPV6_RECVECN 50
#endif

int WSAAPI shim_getsockopt(SOCKET s, int level, int name, char *value, int *length)
{
    int room = length ? *length : 0; /* Wine may clear *length when it fails */
    int rc = getsockopt(s, level, name, value, length);
    if (rc != 0 && level == IPPROTO_IPV6 && name == IPV6_V6ONLY && value && length &&
        room >= (int)sizeof(DWORD)) {
        *(DWORD *)value = 0;
        *length = sizeof(DWORD);
        WSASetLastError(0);
        return 0;
    }
    return rc;
}

int WSAAPI shim_setsockopt(SOCKET s, int level, int name, const char *value, int length)
{
    int rc = setsockopt(s, level, name, value, length);
    if (rc != 0 && ((level == IPPROTO_IP && name == IP_RECVECN) ||
                    (level == IPPROTO_IPV6 && name == IPV6_RECVECN))) {
        WSASetLastError(0);
        return 0;
    }
    return rc;
}
