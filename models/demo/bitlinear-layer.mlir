// A BitNet b1.58 feed-forward block in miniature, written in the tern
// dialect: float master weights are absmean-quantized (at compile time, by
// the folder), packed into bitnet.cpp's I2_S byte order, and used by
// BitLinear layers with a squared-ReLU gate, as in BitNet's MLP:
//   y = down(relu(gate(x))^2 * up(x))
// tools/demo.sh lowers it through the reference pipeline and runs it.

!W_in = !tern.weights<8x16, #tern.layout<i2, block = 16>>
!W_out = !tern.weights<16x8, #tern.layout<i2, block = 8>>

func.func private @printMemrefF32(tensor<*xf32>)

func.func @mlp(%x: tensor<2x16xf32>, %gate: !W_in, %up: !W_in, %down: !W_out,
               %bg: f32, %bu: f32, %bd: f32) -> tensor<2x16xf32> {
  %g = tern.bitlinear %x, %gate, %bg : tensor<2x16xf32>, !W_in, f32 -> tensor<2x8xf32>
  %u = tern.bitlinear %x, %up, %bu : tensor<2x16xf32>, !W_in, f32 -> tensor<2x8xf32>
  %e = tensor.empty() : tensor<2x8xf32>
  %h = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>,
                                        affine_map<(i, j) -> (i, j)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%g, %u : tensor<2x8xf32>, tensor<2x8xf32>) outs(%e : tensor<2x8xf32>) {
  ^bb0(%gv: f32, %uv: f32, %o: f32):
    %zero = arith.constant 0.0 : f32
    %r = arith.maximumf %gv, %zero : f32
    %r2 = arith.mulf %r, %r : f32
    %p = arith.mulf %r2, %uv : f32
    linalg.yield %p : f32
  } -> tensor<2x8xf32>
  %y = tern.bitlinear %h, %down, %bd : tensor<2x8xf32>, !W_out, f32 -> tensor<2x16xf32>
  return %y : tensor<2x16xf32>
}

func.func @main() {
  %x = arith.constant dense<[
    [0.9, -0.3, 0.5, 1.2, -0.7, 0.1, 0.0, 0.4, -1.1, 0.6, 0.2, -0.5, 0.8, -0.2, 0.3, 1.0],
    [-0.4, 0.7, -1.3, 0.2, 0.5, -0.6, 1.1, -0.9, 0.3, 0.0, -0.1, 0.8, -0.7, 0.6, 0.9, -0.2]]> : tensor<2x16xf32>
  // Master weights: a smooth pattern, quantized with absmean by the folder.
  %mg = arith.constant dense<[
    [0.8, -0.1, 0.3, -0.9, 0.05, 0.6, -0.4, 0.2, -0.7, 0.1, 0.9, -0.3, 0.4, -0.05, 0.5, -0.6],
    [-0.2, 0.7, -0.6, 0.1, 0.9, -0.3, 0.05, -0.8, 0.4, 0.6, -0.1, 0.3, -0.9, 0.2, -0.4, 0.8],
    [0.5, 0.5, -0.5, -0.5, 0.1, 0.1, -0.1, -0.1, 0.9, -0.9, 0.3, -0.3, 0.7, -0.7, 0.2, -0.2],
    [0.3, -0.8, 0.6, 0.4, -0.2, 0.9, -0.7, 0.1, 0.05, -0.4, 0.8, -0.6, 0.2, 0.5, -0.3, 0.7],
    [-0.9, 0.2, 0.4, -0.3, 0.8, -0.5, 0.6, 0.1, -0.2, 0.7, -0.8, 0.05, 0.3, -0.6, 0.9, -0.1],
    [0.1, 0.3, 0.5, 0.7, 0.9, -0.9, -0.7, -0.5, -0.3, -0.1, 0.2, 0.4, 0.6, 0.8, -0.2, -0.4],
    [0.6, -0.6, 0.2, -0.2, 0.8, -0.8, 0.4, -0.4, 0.05, -0.05, 0.9, -0.9, 0.1, -0.1, 0.3, -0.3],
    [-0.5, 0.9, -0.1, 0.6, -0.3, 0.2, 0.8, -0.7, 0.4, -0.9, 0.1, 0.5, -0.6, 0.3, -0.8, 0.7]]> : tensor<8x16xf32>
  %gate, %bg = tern.absmean_quantize %mg : tensor<8x16xf32> -> !W_in
  %mu = arith.constant dense<0.25> : tensor<8x16xf32>
  %up, %bu = tern.absmean_quantize %mu : tensor<8x16xf32> -> !W_in
  %md = arith.constant dense<[
    [0.4, -0.2, 0.6, -0.8, 0.1, 0.3, -0.5, 0.7], [-0.6, 0.8, -0.1, 0.2, 0.9, -0.4, 0.3, -0.7],
    [0.2, 0.2, -0.9, 0.5, -0.3, 0.6, 0.1, -0.4], [0.9, -0.5, 0.3, -0.1, 0.7, -0.2, -0.8, 0.4],
    [-0.3, 0.6, 0.8, -0.7, 0.2, -0.9, 0.5, 0.1], [0.7, -0.4, -0.2, 0.9, -0.6, 0.1, 0.3, -0.5],
    [0.1, 0.9, -0.7, -0.3, 0.4, 0.5, -0.6, 0.2], [-0.8, 0.3, 0.5, 0.6, -0.1, -0.7, 0.9, -0.2],
    [0.5, -0.9, 0.2, 0.4, -0.8, 0.3, 0.7, -0.6], [-0.1, 0.4, -0.6, 0.8, 0.3, -0.5, 0.2, 0.9],
    [0.6, 0.1, 0.9, -0.4, -0.7, 0.2, -0.3, 0.5], [-0.4, -0.6, 0.1, 0.3, 0.8, 0.9, -0.2, -0.1],
    [0.3, 0.5, -0.4, -0.9, 0.6, -0.1, 0.8, 0.2], [-0.7, 0.2, 0.6, 0.1, -0.5, 0.4, -0.9, 0.8],
    [0.8, -0.3, -0.5, 0.2, 0.1, 0.7, 0.4, -0.9], [-0.2, -0.8, 0.4, -0.6, 0.9, 0.3, 0.1, 0.7]]> : tensor<16x8xf32>
  %down, %bd = tern.absmean_quantize %md : tensor<16x8xf32> -> !W_out
  %y = func.call @mlp(%x, %gate, %up, %down, %bg, %bu, %bd)
      : (tensor<2x16xf32>, !W_in, !W_in, !W_out, f32, f32, f32) -> tensor<2x16xf32>
  %yu = tensor.cast %y : tensor<2x16xf32> to tensor<*xf32>
  func.call @printMemrefF32(%yu) : (tensor<*xf32>) -> ()
  return
}
