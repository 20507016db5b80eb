/* SPDX-License-Identifier: MIT */
#ifndef RAMPART_STORAGE_H
#define RAMPART_STORAGE_H

/* The storage states (init/storage.c). */
int state_repart(void *ctx);
int state_unseal(void *ctx);
int state_open_storage(void *ctx);

#endif
