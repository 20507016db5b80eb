/* SPDX-License-Identifier: MIT */
#ifndef RAMPART_TOOL_TRY_UNSEAL_H
#define RAMPART_TOOL_TRY_UNSEAL_H

/*
 * "rampart try-unseal DEV", for a running OS: tries to unseal the secret of
 * DEV's systemd-tpm2 token.  After rampart's lock this must fail; the
 * secret itself is never printed.  Exit status: 0 refused (locked), 1
 * unsealed (NOT locked), 2 not attempted.
 */
int tool_try_unseal(const char *dev);

#endif
