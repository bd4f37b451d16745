;; The scoring kernels of the recommender, 128-bit SIMD. Compiled into scores.wasm.ts by
;; scripts/kernels/build.mjs (npm run kernels). Every offset is a byte offset, 16-byte aligned.
;;
;; scores: every item for one user vector, out[i] = base + bias[i] + dot(query, items[i]), four rows
;; at a time (four independent accumulators share each query load). Layout: the query (stride
;; floats), the item rows (rows × stride floats, rows a multiple of 4, padding rows zero), the biases
;; (rows floats), the scores (rows floats). stride is the vector length rounded up to a multiple of 4,
;; padded with zeros.
;;
;; scores_at: the same score for the rows listed in rowIds (count i32 row numbers), out[k] for
;; rowIds[k]: a category's items, or the candidates an index re-ranks.
;;
;; scores_i8_above: approximate scores of int8-quantized rows (the index's codes), s_i = bias[i] +
;; qscale * scale[i] * dot(query, codes[i]) with an int16 query, the dot product exact in int32,
;; four rows at a time; only the rows with s_i > threshold are written out: their positions i to
;; positions[], their scores to out[4 + …] (out[0..4) is scratch). Returns how many. codes: rows ×
;; bytes (rows a multiple of 4, bytes a multiple of 16, padded with zeros); scale and bias: rows
;; floats; query: bytes int16 values; positions and out: room for rows (+ 4) values.
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
        (br $quad))))

  (func (export "scores_at")
    (param $query i32) (param $items i32) (param $bias i32) (param $out i32)
    (param $rowIds i32) (param $count i32) (param $stride i32) (param $base f32)
    (local $rowBytes i32) (local $k i32) (local $row i32) (local $r i32) (local $j i32)
    (local $acc v128)
    (local.set $rowBytes (i32.shl (local.get $stride) (i32.const 2)))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $k) (local.get $count)))
        (local.set $row (i32.load (i32.add (local.get $rowIds) (i32.shl (local.get $k) (i32.const 2)))))
        (local.set $r (i32.add (local.get $items) (i32.mul (local.get $row) (local.get $rowBytes))))
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (local.set $j (i32.const 0))
        (block $rowDone
          (loop $cols
            (br_if $rowDone (i32.ge_u (local.get $j) (local.get $rowBytes)))
            (local.set $acc (f32x4.add (local.get $acc)
              (f32x4.mul
                (v128.load (i32.add (local.get $query) (local.get $j)))
                (v128.load (i32.add (local.get $r) (local.get $j))))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $cols)))
        (f32.store
          (i32.add (local.get $out) (i32.shl (local.get $k) (i32.const 2)))
          (f32.add
            (f32.add (local.get $base)
              (f32.load (i32.add (local.get $bias) (i32.shl (local.get $row) (i32.const 2)))))
            (f32.add
              (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
              (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc))))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $each))))

  (func (export "scores_i8_above")
    (param $query i32) (param $codes i32) (param $scale i32) (param $bias i32)
    (param $positions i32) (param $out i32)
    (param $rows i32) (param $bytes i32) (param $qscale f32) (param $threshold f32)
    (result i32)
    (local $i i32) (local $r0 i32) (local $r1 i32) (local $r2 i32) (local $r3 i32) (local $j i32)
    (local $qlo v128) (local $qhi v128) (local $c v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $u01 v128) (local $u23 v128)
    (local $s v128) (local $mask i32) (local $found i32) (local $lane i32)
    (local.set $r0 (local.get $codes))
    (block $done
      (loop $quad
        (br_if $done (i32.ge_u (local.get $i) (local.get $rows)))
        (local.set $r1 (i32.add (local.get $r0) (local.get $bytes)))
        (local.set $r2 (i32.add (local.get $r1) (local.get $bytes)))
        (local.set $r3 (i32.add (local.get $r2) (local.get $bytes)))
        (local.set $a0 (v128.const i32x4 0 0 0 0))
        (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0))
        (local.set $a3 (v128.const i32x4 0 0 0 0))
        (local.set $j (i32.const 0))
        (block $rowDone
          (loop $cols
            (br_if $rowDone (i32.ge_u (local.get $j) (local.get $bytes)))
            ;; 16 query values (int16) shared by the four rows; each row's 16 codes widened to int16.
            (local.set $qlo (v128.load (i32.add (local.get $query) (i32.shl (local.get $j) (i32.const 1)))))
            (local.set $qhi (v128.load offset=16 (i32.add (local.get $query) (i32.shl (local.get $j) (i32.const 1)))))
            (local.set $c (v128.load (i32.add (local.get $r0) (local.get $j))))
            (local.set $a0 (i32x4.add (local.get $a0) (i32x4.add
              (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $c)) (local.get $qlo))
              (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $c)) (local.get $qhi)))))
            (local.set $c (v128.load (i32.add (local.get $r1) (local.get $j))))
            (local.set $a1 (i32x4.add (local.get $a1) (i32x4.add
              (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $c)) (local.get $qlo))
              (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $c)) (local.get $qhi)))))
            (local.set $c (v128.load (i32.add (local.get $r2) (local.get $j))))
            (local.set $a2 (i32x4.add (local.get $a2) (i32x4.add
              (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $c)) (local.get $qlo))
              (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $c)) (local.get $qhi)))))
            (local.set $c (v128.load (i32.add (local.get $r3) (local.get $j))))
            (local.set $a3 (i32x4.add (local.get $a3) (i32x4.add
              (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $c)) (local.get $qlo))
              (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $c)) (local.get $qhi)))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $cols)))
        ;; The same transpose-add as in scores: lane k is row i + k's dot product.
        (local.set $u01
          (i32x4.add
            (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a0) (local.get $a1))
            (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a0) (local.get $a1))))
        (local.set $u23
          (i32x4.add
            (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a2) (local.get $a3))
            (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a2) (local.get $a3))))
        (local.set $s
          (f32x4.add
            (v128.load (i32.add (local.get $bias) (i32.shl (local.get $i) (i32.const 2))))
            (f32x4.mul
              (f32x4.mul
                (f32x4.splat (local.get $qscale))
                (v128.load (i32.add (local.get $scale) (i32.shl (local.get $i) (i32.const 2)))))
              (f32x4.convert_i32x4_s
                (i32x4.add
                  (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $u01) (local.get $u23))
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $u01) (local.get $u23)))))))
        ;; Only the rows above the threshold are written out, with their position: most are not.
        (local.set $mask (i32x4.bitmask (f32x4.gt (local.get $s) (f32x4.splat (local.get $threshold)))))
        (if (local.get $mask)
          (then
            (local.set $lane (i32.const 0))
            (block $lanesDone
              (loop $lanes
                (br_if $lanesDone (i32.ge_u (local.get $lane) (i32.const 4)))
                (if (i32.and (local.get $mask) (i32.shl (i32.const 1) (local.get $lane)))
                  (then
                    (i32.store
                      (i32.add (local.get $positions) (i32.shl (local.get $found) (i32.const 2)))
                      (i32.add (local.get $i) (local.get $lane)))
                    ;; The lane's score: spill the vector, read back one float.
                    (v128.store (local.get $out) (local.get $s))
                    (f32.store
                      (i32.add (local.get $out) (i32.add (i32.const 16) (i32.shl (local.get $found) (i32.const 2))))
                      (f32.load (i32.add (local.get $out) (i32.shl (local.get $lane) (i32.const 2)))))
                    (local.set $found (i32.add (local.get $found) (i32.const 1)))))
                (local.set $lane (i32.add (local.get $lane) (i32.const 1)))
                (br $lanes)))))
        (local.set $r0 (i32.add (local.get $r3) (local.get $bytes)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $quad)))
    (local.get $found)))
