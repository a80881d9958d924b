/* The VM's instruction set: one X-macro list (jq's opcode_list.h) from which the enum, the
 * names and the disassembler all come. Included by vm.h; nothing else should need it.
 *
 * Instruction format (struct gh_ins, 16 bytes, no bit packing):
 *
 *   +------+---+------+------+------+----------+----------+
 *   |  op  | x |  A   |  B   |  C   |    K     |    F     |
 *   +------+---+------+------+------+----------+----------+
 *    8 bit  8   16     16     16     32         32
 *
 * A, B, C are registers of the current frame (R[...]); K indexes the procedure's constant
 * table (K[k], values) or its aux table (X[k]: builtins, procedures, tree nodes); x is a
 * small immediate and n a count kept in K; F is the failure target: every instruction that can fail (undefined,
 * false, no match, iteration exhausted) jumps to F, the innermost enclosing "continue"
 * point fixed at compile time (next iteration of the innermost scan, or the end of the
 * block), so no backtracking stack exists at run time. NOREG (0xffff) means "no register".
 *
 * Columns: OP(name, operand letters the disassembler prints, register-transfer comment). */
#ifndef GH_OPCODES_H
#define GH_OPCODES_H

#define GH_OPCODES(OP)                                                                      \
    OP(NOP, "", "nothing")                                                                  \
    OP(LOADK, "AK", "R[A] := K[k]")                                                         \
    OP(MOVE, "AB", "R[A] := R[B]")                                                          \
    OP(INPUT, "AF", "R[A] := input; fail when there is no input")                          \
    OP(DATA, "AXF", "R[A] := base document X[k] (or its `with` replacement); fail if none") \
    OP(JMP, "F", "pc := F (a backward jump counts a step)")                                 \
    OP(JTRUE, "AF", "if R[A] is true then pc := F")                                         \
    OP(TRUTHY, "AF", "fail unless R[A] is defined and not false")                           \
    OP(DOT, "ABCF", "R[A] := R[B][R[C]]; fail when absent")                                 \
    OP(DOTK, "ABKF", "R[A] := R[B][K[k]]; fail when absent")                                \
    OP(EQ, "BCF", "fail unless R[B] == R[C]")                                               \
    OP(CMP, "xBCF", "fail unless R[B] <x> R[C] (x: 0 ne, 1 lt, 2 le, 3 gt, 4 ge)")        \
    OP(ISARR, "AnF", "fail unless R[A] is an array of k elements")                         \
    OP(ISOBJ, "AnF", "fail unless R[A] is an object of k members")                         \
    OP(ITER, "ABF", "R[A].iter := start of R[B]; fail unless a collection")                                 \
    OP(NEXT, "ABCF", "R[B], R[C] := next key, value of R[A].iter; fail when exhausted")     \
    OP(MKARR, "ABn", "R[A] := [R[B] .. R[B+k-1]]")                                          \
    OP(MKSET, "ABn", "R[A] := {R[B] .. R[B+k-1]}")                                          \
    OP(MKOBJ, "ABn", "R[A] := {R[B]: R[B+k] .. R[B+k-1]: R[B+2k-1]}")                       \
    OP(CALLB, "ABXxF", "R[A] := builtin X[k](R[B] .. R[B+x-1]); fail when undefined")      \
    OP(CALLF, "ABXxF", "R[A] := function X[k](R[B] .. R[B+x-1]), memoised; fail if undef")  \
    OP(RULE, "AXF", "R[A] := value of rule X[k], memoised; fail when undefined")           \
    OP(TREE, "AXF", "R[A] := data subtree X[k] materialised (rules evaluated, base merged)") \
    OP(BNEW, "Ax", "R[A].builder := empty (x: 0 array, 1 set, 2 object)")                   \
    OP(BADD, "AB", "R[A].builder += R[B]")                                                  \
    OP(BPUT, "ABC", "R[A].builder[R[B]] := R[C]; conflict error when it differs")           \
    OP(BEND, "AB", "R[A] := value of R[B].builder")                                         \
    OP(YVAL, "Ax", "result := R[A]; conflict error when it differs (x: 1 function)")        \
    OP(YSET, "A", "result set += R[A]")                                                     \
    OP(YOBJ, "ABn", "result object[R[B]..R[B+k-1]] := R[A] (nested path); conflict error") \
    OP(YOSET, "ABn", "result object[R[B]..R[B+k-1]] is a set, += R[A]")                     \
    OP(WITH, "ABX", "R[A] := saved state; override X[k] (input/data/function) with R[B]")   \
    OP(UNWITH, "A", "restore the state saved in R[A]")                                      \
    OP(TOSTR, "AB", "R[A] := R[B] rendered for a template (\"<undefined>\" when unset)")   \
    OP(UNSET, "A", "R[A] := unset (undefined)")                                             \
    OP(IDX, "ABX", "R[A].mask := definitions of rule index X[k] that may hold for R[B]")     \
    OP(JNOBIT, "AxF", "if bit x of R[A].mask is clear then pc := F (skip a definition)")    \
    OP(RET, "", "return from the procedure")

typedef enum gh_opcode {
#define GH_OP_ENUM(name, ops, doc) GH_OP_##name,
    GH_OPCODES(GH_OP_ENUM)
#undef GH_OP_ENUM
        GH_OP__COUNT
} gh_opcode;

/* Notes.
 * - NEXT iterates arrays (index, element), objects (key, value) and sets (item, item); any
 *   other value is exhausted at once. Its F is where the scan ends; the scan's body jumps
 *   back to the NEXT as its "continue" point.
 * - CALLB with x == 0xff calls a variadic builtin; undefined operands are passed as NULL
 *   (print).
 * - YVAL/YSET/YOBJ write the procedure's result slot; RET then returns it (or the rule's
 *   default value when nothing was yielded).
 * - WITH saves into R[A] (and R[A+1]) what it replaces; every path leaving the `with`
 *   literal runs UNWITH, and re-entering it (a later literal fails back into a scan opened
 *   inside it) runs WITH again. While any `with` is active, memoisation is bypassed. */

#endif
