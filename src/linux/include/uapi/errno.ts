/** The errno values the model returns (include/uapi/asm-generic/errno-base.h). */
export const EPERM = 1;
export const ENOENT = 2;
export const EFAULT = 14;
export const EBUSY = 16;
export const ENODEV = 19;
export const EINVAL = 22;
export const ENOSPC = 28;
export const ERANGE = 34;
export const ENOMEM = 12;
export const ENOSYS = 38;
export const ECANCELED = 125;
