/* Test-only stand-in for Windows' bcryptprimitives.dll, which Wine 8 lacks and recent Rust
 * standard libraries import ProcessPrng from (rust-lang/rust#121337). Built by
 * scripts/test-windows.sh next to the copy of lanchat.exe that runs under Wine; never
 * shipped (real Windows 10 and later have the DLL). ProcessPrng fills the buffer from the
 * system RNG, here through RtlGenRandom (advapi32's SystemFunction036), which Wine has. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
