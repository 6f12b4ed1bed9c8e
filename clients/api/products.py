"""`GET /api/products/`: the product risk table (read-only; compliance edits it on the products page)."""

from rest_framework import serializers

from futures_crm.api.viewsets import ScopedReadOnlyViewSet

from ..filtersets import ProductFilterSet
from ..models import Product


class ProductSerializer(serializers.ModelSerializer):
    product = serializers.CharField(source="code", read_only=True)

    class Meta:
        model = Product
        fields = ["id", "exchange", "product", "name", "risk_level", "product_class", "min_funds",
                  "needs_knowledge_test", "min_knowledge_score", "needs_trading_experience", "min_experience_days",
                  "min_experience_trades"]
        read_only_fields = fields


class ProductViewSet(ScopedReadOnlyViewSet):
    """Every listed product with its risk level R1–R5 and the exchange's eligibility rules; any staff role reads it."""

    queryset = Product.objects.all()
    serializer_class = ProductSerializer
    filterset_class = ProductFilterSet
