/**
 * textpoke's default configuration, in the role of a kernel defconfig such as
 * arch/powerpc/configs/powernv_defconfig: a ppc64le PowerNV kernel like the
 * one in the seed oops ("LE PAGE_SIZE=64K MMU=Radix SMP NR_CPUS=2048 NUMA
 * PowerNV"), with the code-patching paths the model exercises switched on.
 * Symbols not listed take their Kconfig default. Like any defconfig, these
 * values yield silently when the user's settings make them impossible.
 *
 * DEBUG_VM is off (with it the pre-fix variant BUGs at boot, which the user
 * asks for with --set CONFIG_DEBUG_VM=y). CODE_PATCHING_SELFTEST is off so the
 * default boot stays short.
 */
export const TEXTPOKE_DEFCONFIG = `# textpoke_defconfig
CONFIG_PPC64=y
CONFIG_CPU_LITTLE_ENDIAN=y
CONFIG_PPC_BOOK3S_64=y
CONFIG_PPC_RADIX_MMU=y
CONFIG_PPC_64K_PAGES=y
CONFIG_PPC_POWERNV=y
CONFIG_SMP=y
CONFIG_NR_CPUS=2048
CONFIG_NUMA=y
CONFIG_PREEMPT_NONE=y
CONFIG_MODULES=y
CONFIG_KPROBES=y
CONFIG_JUMP_LABEL=y
CONFIG_STRICT_KERNEL_RWX=y
CONFIG_KALLSYMS=y
CONFIG_DEBUG_KERNEL=y
# CONFIG_DEBUG_VM is not set
# CONFIG_DEBUG_ATOMIC_SLEEP is not set
# CONFIG_FUNCTION_TRACER is not set
# CONFIG_CODE_PATCHING_SELFTEST is not set
`;
