/* SPDX-License-Identifier: MIT */
/* The recover state (init/recovery.c): the escrowed recovery key, on request, after a PCR 7 change. */
#ifndef RAMPART_RECOVERY_H
#define RAMPART_RECOVERY_H

int state_recover(void *ctx);

#endif
