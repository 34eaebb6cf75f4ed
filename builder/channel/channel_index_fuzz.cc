// libFuzzer harness: a release channel's index as the update agent and `kiln publish` read
// it from an untrusted directory or web server: the signed container (PKCS#7 through OpenSSL,
// signer pinned to a fixed test certificate), the signer lookup and the JSON parser.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "builder/channel/channel_index.h"
#include "builder/channel/signed_index.h"
#include "signing/keys.h"

namespace {

// signing/testdata/rsa.crt: the seed corpus's signed-index.p7s is signed with its key, so
// mutations reach the signature check and the parser behind it.
constexpr std::string_view kCertificatePem = R"(
-----BEGIN CERTIFICATE-----
MIIEDTCCAnWgAwIBAgIQYHBmTWLtV6XBy6Ag3j03iTANBgkqhkiG9w0BAQsFADAP
MQ0wCwYDVQQDDARraWxuMCAXDTI2MTEyNjE2NTQzM1oYDzIxMjYxMTAyMTY1NDMz
WjAPMQ0wCwYDVQQDDARraWxuMIIBojANBgkqhkiG9w0BAQEFAAOCAY8AMIIBigKC
AYEApwgPzC3vZwL7aHs7TOLRC7LTdHmA64vZNr/+lNg/9NwH7PHUhFy2Zw7GnRZm
dMvKZZVopqVSougDI68pyNF5lAghEKddLZBfQWDZJt+bsDMEHpVyTG89KE7ULPDk
jf/N6e2lXrM2gZZj+liRFPsCp/+K0E76p20Z8Q6joImYrZUZuXqB/9R5fVQB8hNL
UmaeJq5eKPAw3N0dxzlPhW/VbCR6WkOr+yQJ9gBylvXvSUR+ebCQut0L8mIPWJmt
p+C9uCUZ2sfaoO0hwGqlOVyZj1/W3DauXuz8+yyAYtJo6o6u8WBZKKIMDroA+Dhr
6VrklN0EUlGWaIgRF0C4/RJMf+aGCxkJujdU12rW7ctBDfYvlOLn5rcB5OZfYt8a
5T/ckYfIlg53GWst6RumVso/x6aIQWRu14BnFF8FN+YplMRh1as/K5b8mxHuSzqU
uH3/+x3OFtCxdMThzuO/+mgAuyjsvTrakkzK+WZoaw6jyFBsP/Zo7YzlVke4F7ux
L/itAgMBAAGjYzBhMA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQDAgKEMB0G
A1UdDgQWBBTnaRPSXemqF9DKx/AMfPYHqtzxNzAfBgNVHSMEGDAWgBTnaRPSXemq
F9DKx/AMfPYHqtzxNzANBgkqhkiG9w0BAQsFAAOCAYEAZ5jmUtHVC4iAoCv/Iaq9
0U2KrfGuRyiiJtZRMOcgoBVMySRd4C+2RVf/avKM3gTjVlpdAp2RbBNWzi7uxO4K
4f/oJ5FnuZI9L885MMYdrudb8IUceHLu6HmlKI6TRBjvKa9/ZCgSUIdth0tz2rRN
rwALPMGNzvKU+jWpuIJZjM0LRyFksAA4Z6ABy8JDRehyjN2Me9Vg20R8uTfil0Yt
Y1+IFI5cbA7r0VgTHAiPHnxr3kubwg0U27kgBFjkYlOhhpGmcn+jyb+1Nkzj/Hx4
YpE6XtEe7YYd7WoMtcorxScuJklexy5quigEJ9Gp/ho3aAe0dSHYnF+4N/1WCD7v
k43Db4I3b1hwl6lIAQ4zZ6GX5+gO3SrnuyCIffbjsqmGb5W5+NdKRGmrnA192FRV
xjx2V9E08vI7YFJL9a/hnt8bY1NkxbqoXiFqnGKZaLceqBsDHWA8hvv0a5srONUt
8PlvwGig+8P+4MFUsidhJ/4NhSGKM7mVp7K4ersu1dx8
-----END CERTIFICATE-----
)";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const kiln::signing::Certificate cert = kiln::signing::ParseCertificate(kCertificatePem).value();
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  (void)kiln::channel::ParseIndex(bytes);
  (void)kiln::channel::VerifyIndex(bytes, cert);
  (void)kiln::channel::IndexSigner(bytes);
  return 0;
}
