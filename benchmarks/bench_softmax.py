"""Time loss, loss+grad, hvp and the Hessian of every implementation."""

from verify import bench

from .common import DTYPES, HESSIAN_SIZES, IMPLEMENTATIONS, SIZES, implementation, problem


class Softmax:
    """Loss, loss and gradient in one pass, and the Hessian-vector product.

    For SymPy, ``setup`` derives and compiles the shape, so these time the
    evaluation; ``SympyDerivation`` times the derivation.
    """

    params = [IMPLEMENTATIONS, SIZES, DTYPES]
    param_names = ["implementation", "size", "dtype"]
    timeout = 120

    def setup(self, name, size, dtype):
        self.impl = implementation(name, size, dtype)
        pb = problem(size, dtype)
        self.loss = bench.call(self.impl, "loss", pb)
        self.loss_grad = bench.call(self.impl, "loss_grad", pb)
        self.hvp = bench.call(self.impl, "hvp", pb)
        for fn in (self.loss, self.loss_grad, self.hvp):
            fn()

    def time_loss(self, name, size, dtype):
        self.loss()

    def time_loss_grad(self, name, size, dtype):
        self.loss_grad()

    def time_hvp(self, name, size, dtype):
        self.hvp()


class Hessian:
    """The full (DK x DK) Hessian."""

    params = [IMPLEMENTATIONS, HESSIAN_SIZES, DTYPES]
    param_names = ["implementation", "size", "dtype"]
    timeout = 120

    def setup(self, name, size, dtype):
        self.impl = implementation(name, size, dtype, hessian=True)
        self.hessian = bench.call(self.impl, "hessian", problem(size, dtype))
        self.hessian()

    def time_hessian(self, name, size, dtype):
        self.hessian()


class SympyDerivation:
    """SymPy's cost of building, differentiating and compiling a shape (a fresh instance each time)."""

    params = [["loss_grad", "hvp", "hessian"], list(dict.fromkeys(SIZES + HESSIAN_SIZES))]
    param_names = ["operation", "size"]
    number = 1
    repeat = (1, 3, 30.0)
    warmup_time = 0
    timeout = 300

    def setup(self, operation, size):
        implementation("sympy", size, "float64", hessian=operation == "hessian")
        self.pb = problem(size, "float64")

    def time_derive(self, operation, size):
        import impls

        bench.call(impls.get("sympy"), operation, self.pb)()
