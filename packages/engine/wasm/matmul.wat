(module
  (import "env" "memory" (memory 1))
  ;; y[r*out + o] = sum_j x[r*inn + j] * w[o*inn + j]   (byte pointers; inn a multiple of 8)
  (func (export "matmulT") (param $x i32) (param $n i32) (param $inn i32) (param $w i32) (param $out i32) (param $y i32)
    (local $o i32) (local $r i32) (local $j i32) (local $wrow i32) (local $xrow i32)
    (local $a0 v128) (local $a1 v128) (local $rowBytes i32) (local $yp i32)
    (local.set $rowBytes (i32.shl (local.get $inn) (i32.const 2)))
    (local.set $o (i32.const 0))
    (block $oend
      (loop $oloop
        (br_if $oend (i32.ge_u (local.get $o) (local.get $out)))
        (local.set $wrow (i32.add (local.get $w) (i32.mul (local.get $o) (local.get $rowBytes))))
        (local.set $r (i32.const 0))
        (block $rend
          (loop $rloop
            (br_if $rend (i32.ge_u (local.get $r) (local.get $n)))
            (local.set $xrow (i32.add (local.get $x) (i32.mul (local.get $r) (local.get $rowBytes))))
            (local.set $a0 (v128.const f32x4 0 0 0 0))
            (local.set $a1 (v128.const f32x4 0 0 0 0))
            (local.set $j (i32.const 0))
            (block $jend
              (loop $jloop
                (br_if $jend (i32.ge_u (local.get $j) (local.get $rowBytes)))
                (local.set $a0 (f32x4.add (local.get $a0)
                  (f32x4.mul (v128.load (i32.add (local.get $xrow) (local.get $j)))
                             (v128.load (i32.add (local.get $wrow) (local.get $j))))))
                (local.set $a1 (f32x4.add (local.get $a1)
                  (f32x4.mul (v128.load offset=16 (i32.add (local.get $xrow) (local.get $j)))
                             (v128.load offset=16 (i32.add (local.get $wrow) (local.get $j))))))
                (local.set $j (i32.add (local.get $j) (i32.const 32)))
                (br $jloop)))
            (local.set $a0 (f32x4.add (local.get $a0) (local.get $a1)))
            (local.set $yp (i32.add (local.get $y)
              (i32.shl (i32.add (i32.mul (local.get $r) (local.get $out)) (local.get $o)) (i32.const 2))))
            (f32.store (local.get $yp)
              (f32.add
                (f32.add (f32x4.extract_lane 0 (local.get $a0)) (f32x4.extract_lane 1 (local.get $a0)))
                (f32.add (f32x4.extract_lane 2 (local.get $a0)) (f32x4.extract_lane 3 (local.get $a0)))))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $rloop)))
        (local.set $o (i32.add (local.get $o) (i32.const 1)))
        (br $oloop)))
  )
)
