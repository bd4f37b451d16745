;; Scores of every item for one user vector: out[i] = base + bias[i] + dot(query, items[i]).
;; 128-bit SIMD, four rows at a time (four independent accumulators share each query load).
;; Layout (byte offsets, all 16-byte aligned): the query (stride floats), the item rows (rows × stride
;; floats, rows a multiple of 4, padding rows zero), the biases (rows floats), the scores (rows floats).
;; stride is the vector length rounded up to a multiple of 4, padded with zeros.
;; Compiled into scores.wasm.ts by scripts/kernels/build.mjs (npm run kernels).
(module
  (import "env" "memory" (memory 1))
  (func (export "scores")
    (param $query i32) (param $items i32) (param $bias i32) (param $out i32)
    (param $rows i32) (param $stride i32) (param $base f32)
    (local $rowBytes i32) (local $r0 i32) (local $r1 i32) (local $r2 i32) (local $r3 i32)
    (local $j i32) (local $q v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $i i32) (local $u01 v128) (local $u23 v128)
    (local.set $rowBytes (i32.shl (local.get $stride) (i32.const 2)))
    (local.set $r0 (local.get $items))
    (block $done
      (loop $quad
        (br_if $done (i32.ge_u (local.get $i) (local.get $rows)))
        (local.set $r1 (i32.add (local.get $r0) (local.get $rowBytes)))
        (local.set $r2 (i32.add (local.get $r1) (local.get $rowBytes)))
        (local.set $r3 (i32.add (local.get $r2) (local.get $rowBytes)))
        (local.set $a0 (v128.const i32x4 0 0 0 0))
        (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0))
        (local.set $a3 (v128.const i32x4 0 0 0 0))
        (local.set $j (i32.const 0))
        (block $rowDone
          (loop $cols
            (br_if $rowDone (i32.ge_u (local.get $j) (local.get $rowBytes)))
            (local.set $q (v128.load (i32.add (local.get $query) (local.get $j))))
            (local.set $a0 (f32x4.add (local.get $a0)
              (f32x4.mul (local.get $q) (v128.load (i32.add (local.get $r0) (local.get $j))))))
            (local.set $a1 (f32x4.add (local.get $a1)
              (f32x4.mul (local.get $q) (v128.load (i32.add (local.get $r1) (local.get $j))))))
            (local.set $a2 (f32x4.add (local.get $a2)
              (f32x4.mul (local.get $q) (v128.load (i32.add (local.get $r2) (local.get $j))))))
            (local.set $a3 (f32x4.add (local.get $a3)
              (f32x4.mul (local.get $q) (v128.load (i32.add (local.get $r3) (local.get $j))))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $cols)))
        ;; Transpose-add: u01 = [a0.x+a0.z, a1.x+a1.z, a0.y+a0.w, a1.y+a1.w], u23 likewise, then the
        ;; halves of u01 and u23 folded: lane k of the sum is the dot product of row i + k.
        (local.set $u01
          (f32x4.add
            (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a0) (local.get $a1))
            (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a0) (local.get $a1))))
        (local.set $u23
          (f32x4.add
            (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a2) (local.get $a3))
            (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a2) (local.get $a3))))
        (v128.store
          (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2)))
          (f32x4.add
            (f32x4.add
              (f32x4.splat (local.get $base))
              (v128.load (i32.add (local.get $bias) (i32.shl (local.get $i) (i32.const 2)))))
            (f32x4.add
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $u01) (local.get $u23))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $u01) (local.get $u23)))))
        (local.set $r0 (i32.add (local.get $r3) (local.get $rowBytes)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $quad)))))
