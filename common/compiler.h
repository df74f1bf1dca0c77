/*
 * compiler.h: the few compiler attributes and macros every module uses,
 * defined once. Headers that need them include this file, not util.h, so a
 * standalone module (json, jwt: also built into the fuzz targets) stays
 * standalone.
 */
#ifndef DH_COMPILER_H
#define DH_COMPILER_H

/* A result the caller must look at (0/-1 status, an allocation). */
#define DH_MUSTCHECK __attribute__((warn_unused_result))
#define DH_UNUSED __attribute__((unused))
#define DH_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
