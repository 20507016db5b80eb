/* SPDX-License-Identifier: MIT */
#ifndef RAMPART_ROOT_H
#define RAMPART_ROOT_H

int state_verify_root(void *ctx);

#endif
