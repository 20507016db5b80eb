/* SPDX-License-Identifier: MIT */
#ifndef RAMPART_TOOL_TRY_UNSEAL_H
#define RAMPART_TOOL_TRY_UNSEAL_H

/*
 * "rampart try-unseal DEV", for a running OS: tries to unseal the secret of
 * each systemd-tpm2 token on DEV (SRK and legacy models), one line each.
 * After rampart's lock every one must fail; no secret is ever printed.
 * Exit status: 0 all refused (locked), 1 one unsealed (NOT locked), 2 not
 * attempted (no token, none well-formed, no TPM).
 */
int tool_try_unseal(const char *dev);

#endif
