/* SPDX-License-Identifier: MIT */
/*
 * The recovery key as a person types it: 32 random bytes as 64 "modhex"
 * characters (cbdefghijklnrtuv for 0-f: the letters that sit in the same
 * place on most keyboard layouts), in 8 groups of 8 joined by dashes, the
 * form systemd-cryptenroll --recovery-key uses.  The LUKS2 passphrase is
 * that text, dashes included, as in systemd, so systemd-cryptsetup opens
 * the keyslot with the same key.  Pure, host-tested.
 */
#ifndef RAMPART_RECOVERY_KEY_H
#define RAMPART_RECOVERY_KEY_H

#include <stddef.h>
#include <stdint.h>

#define RECOVERY_KEY_BYTES 32
#define RECOVERY_KEY_TEXT_LEN (2 * RECOVERY_KEY_BYTES + RECOVERY_KEY_BYTES / 4 - 1) /* 71 */

void recovery_key_format(const uint8_t key[RECOVERY_KEY_BYTES], char out[RECOVERY_KEY_TEXT_LEN + 1]);

/*
 * What was typed, as the key's text: modhex in either case, dashes and
 * blanks anywhere ignored.  -EINVAL unless that leaves exactly 64 modhex
 * characters; @out is then "".
 */
int recovery_key_normalize(const char *typed, char out[RECOVERY_KEY_TEXT_LEN + 1]);

#endif
