/**
 * The accelerator probe's guest: a program of a few hundred bytes that QEMU's `-kernel` boots
 * and that writes two characters to the first serial port: `P` once its first instructions run,
 * `6` once it runs in 64-bit mode (the mode the builder's kernel needs). Seeing `P6` on QEMU's
 * stdout proves the accelerator executes guest code; QMP's "kvm enabled, status running" did
 * not: on the project's CI machines /dev/kvm opens, QEMU reports kvm enabled and the machine
 * running, and yet no guest instruction past real mode ever runs (the builder hung at "Probing
 * EDD" for ever). Checked in as bytes, with their source below, because the app must not need an
 * assembler: `electron/core/vm/accelerator.integration.test.ts` boots both under TCG, so a wrong
 * byte fails there rather than sending every machine to TCG.
 *
 * x86_64 (q35, any accelerator): a multiboot image with the "a.out kludge" header (flag 16), so
 * QEMU loads it flat at 1 MiB and enters it in 32-bit protected mode. Assembled with
 * `as --32 && ld -m elf_i386 -Ttext=0x100000 --oformat binary` from:
 *
 *         .set BASE, 0x100000 ; .set PML4, 0x110000 ; .set PDPT, 0x111000 ; .set PD, 0x112000
 *         .code32
 *   header: .long 0x1BADB002, 0x00010000, -(0x1BADB002 + 0x00010000)   # magic, flags, checksum
 *         .long BASE, BASE, 0, 0, BASE + (entry - header)   # header, load, load end, bss end, entry
 *   entry: mov $0x3f8, %dx ; mov $'P', %al ; out %al, %dx     # protected mode runs
 *         mov $PML4, %edi ; xor %eax, %eax ; mov $3072, %ecx ; cld ; rep stosl   # zero 3 pages
 *         movl $(PDPT | 3), PML4 ; movl $(PD | 3), PDPT
 *         mov $PD, %edi ; mov $0x83, %eax ; mov $512, %ecx   # identity-map 1 GiB, 2 MiB pages
 *   1:    mov %eax, (%edi) ; add $0x200000, %eax ; add $8, %edi ; loop 1b
 *         mov %cr4, %eax ; or $0x20, %eax ; mov %eax, %cr4       # PAE
 *         mov $PML4, %eax ; mov %eax, %cr3
 *         mov $0xC0000080, %ecx ; rdmsr ; or $0x100, %eax ; wrmsr   # EFER.LME
 *         mov %cr0, %eax ; or $0x80000001, %eax ; mov %eax, %cr0   # PG | PE
 *         lgdt BASE + (gdtr - header) ; ljmp $0x08, $(BASE + (long - header))
 *         .code64
 *   long: mov $0x3f8, %dx ; mov $'6', %al ; out %al, %dx     # long mode runs
 *   2:    hlt ; jmp 2b
 *         .p2align 3
 *   gdt:  .quad 0, 0x00AF9A000000FFFF                         # null, 64-bit code
 *   gdtr: .word gdtr - gdt - 1 ; .long BASE + (gdt - header)
 *
 * aarch64 (virt, any accelerator): QEMU loads a file that is not a Linux Image as raw code and
 * jumps to it in AArch64 at EL1; it stores `P` then `6` into the PL011 UART's data register at
 * 0x09000000 (virt's first serial port, no set-up needed), then waits for interrupts for ever:
 *
 *         movz x0, #0x0900, lsl #16 ; movz w1, #'P' ; str w1, [x0]
 *         movz w1, #'6' ; str w1, [x0]
 *   1:    wfi ; b 1b
 */

/** What the probe guest writes once its first instructions run. */
export const PROBE_GUEST_RUNS = 'P';
/** What it writes once it runs in 64-bit mode: the proof the probe waits for. */
export const PROBE_GUEST_64BIT = 'P6';

const X86_64_GUEST_HEX = [
  '02b0ad1b00000100fe4f51e40000100000001000000000000000000020001000',
  '66baf803b050eebf0000110031c0b9000c0000fcf3abc7050000110003101100',
  'c7050010110003201100bf00201100b883000000b90002000089070500002000',
  '83c708e2f40f20e083c8200f22e0b8000011000f22d8b9800000c00f320d0001',
  '00000f300f20c00d010000800f22c00f0115b8001000ea9d001000080066baf8',
  '03b036eef4ebfd900000000000000000ffff0000009aaf000f00a8001000',
].join('');

const AARCH64_GUEST_WORDS = [0xd2a12000, 0x52800a01, 0xb9000001, 0x528006c1, 0xb9000001, 0xd503207f, 0x17ffffff];

export type ProbeGuestArch = 'x86_64' | 'aarch64';

/** The architecture a QEMU system emulator runs, from its name (`qemu-system-aarch64`, ...). */
export function probeGuestArch(qemuBinary: string): ProbeGuestArch {
  return /aarch64/.test(qemuBinary) ? 'aarch64' : 'x86_64';
}

export function probeGuestBytes(arch: ProbeGuestArch): Uint8Array {
  if (arch === 'x86_64') return Uint8Array.from(Buffer.from(X86_64_GUEST_HEX, 'hex'));
  const bytes = new Uint8Array(AARCH64_GUEST_WORDS.length * 4);
  const view = new DataView(bytes.buffer);
  AARCH64_GUEST_WORDS.forEach((word, index) => view.setUint32(index * 4, word, true));
  return bytes;
}
