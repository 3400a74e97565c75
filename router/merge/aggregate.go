package merge

import (
	"math"
	"math/big"
	"strconv"

	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/shardline/shardline/router"
)

// aggregator combines one aggregate column across partial results.
type aggregator struct {
	fn       router.AggFunc
	col      int
	countCol int
	float    bool         // the partial SUM is FLOAT/DOUBLE: add in float64
	cmp      *column      // MIN/MAX comparison, COUNT(DISTINCT) keys (input column)
	out      *mysql.Field // merged field, whose type the result takes
	// maxValues bounds the distinct values one COUNT(DISTINCT) keeps per
	// group (Options.MaxRows).
	maxValues int
}

// aggState is the running state of one aggregate of one group.
type aggState struct {
	count int64 // COUNT, and the partial counts of AVG
	dec   decAcc
	f     float64
	has   bool // a non-NULL value was added
	val   mysql.FieldValue
	buf   []byte
	seen  map[string]struct{} // COUNT(DISTINCT): the values' keys
}

func newAggregator(a router.Aggregate, p *plan) aggregator {
	return aggregator{
		fn:        a.Func,
		col:       a.Column,
		countCol:  a.CountColumn,
		float:     isFloatType(p.inFields[a.Column].Type),
		cmp:       &p.inCols[a.Column],
		out:       p.fields[a.Column],
		maxValues: p.maxRows,
	}
}

// add folds one partial row into st.
func (a *aggregator) add(st *aggState, row []mysql.FieldValue) error {
	v := &row[a.col]
	switch a.fn {
	case router.AggCount:
		n, err := toInt64(v)
		st.count += n
		return err
	case router.AggMin, router.AggMax:
		a.addMinMax(st, v)
		return nil
	case router.AggCountDistinct:
		if v.Type == mysql.FieldValueTypeNull {
			return nil
		}
		st.buf = a.cmp.appendKey(st.buf[:0], v)
		if _, ok := st.seen[string(st.buf)]; ok {
			return nil
		}
		if len(st.seen) >= a.maxValues {
			return errTooManyRows(a.maxValues, "distinct values")
		}
		if st.seen == nil {
			st.seen = map[string]struct{}{}
		}
		st.seen[string(st.buf)] = struct{}{}
		return nil
	case router.AggAvg:
		if n := &row[a.countCol]; n.Type != mysql.FieldValueTypeNull {
			c, err := toInt64(n)
			if err != nil {
				return err
			}
			st.count += c
		}
	}
	return a.addSum(st, v)
}

func (a *aggregator) addMinMax(st *aggState, v *mysql.FieldValue) {
	if v.Type == mysql.FieldValueTypeNull {
		return
	}
	if st.has {
		c := a.cmp.compare(v, &st.val)
		if a.fn == router.AggMin && c >= 0 || a.fn == router.AggMax && c <= 0 {
			return
		}
	}
	st.has = true
	st.buf = append(st.buf[:0], v.AsString()...)
	st.val = mysql.NewFieldValue(v.Type, v.AsUint64(), st.buf)
}

func (a *aggregator) addSum(st *aggState, v *mysql.FieldValue) error {
	switch {
	case v.Type == mysql.FieldValueTypeNull:
		return nil
	case a.float:
		st.f += asFloat(v)
	case v.Type == mysql.FieldValueTypeSigned:
		st.dec.add(v.AsInt64(), 0)
	case v.Type == mysql.FieldValueTypeUnsigned:
		st.dec.addUint(v.AsUint64())
	case v.Type == mysql.FieldValueTypeFloat:
		st.dec.addText(formatFloatText(nil, v.AsFloat64()))
	default:
		if !st.dec.addText(v.AsString()) {
			return mysql.NewError(mysql.ER_TRUNCATED_WRONG_VALUE,
				"Shardline merge: partial sum "+strconv.Quote(string(v.AsString()))+" is not a number")
		}
	}
	st.has = true
	return nil
}

// result is the final value of the aggregate, typed like a.out.
func (a *aggregator) result(st *aggState) (mysql.FieldValue, error) {
	switch a.fn {
	case router.AggCount:
		return mysql.NewFieldValue(mysql.FieldValueTypeSigned, uint64(st.count), nil), nil
	case router.AggCountDistinct:
		return mysql.NewFieldValue(mysql.FieldValueTypeSigned, uint64(len(st.seen)), nil), nil
	case router.AggMin, router.AggMax:
		return st.val, nil // NULL when nothing was added
	}
	if !st.has || a.fn == router.AggAvg && st.count == 0 {
		return mysql.FieldValue{}, nil
	}
	if a.fn == router.AggAvg {
		if a.float {
			return floatValue(st.f / float64(st.count)), nil
		}
		s := st.dec.appendAvg(nil, st.count, int(a.out.Decimal))
		return mysql.NewFieldValue(mysql.FieldValueTypeString, 0, s), nil
	}
	return a.sumResult(st)
}

// sumResult types a SUM like its field: DECIMAL text, DOUBLE or integer.
func (a *aggregator) sumResult(st *aggState) (mysql.FieldValue, error) {
	switch {
	case a.float || isFloatType(a.out.Type):
		if a.float {
			return floatValue(st.f), nil
		}
		f, _ := new(big.Float).SetInt(st.dec.unscaled()).Float64()
		return floatValue(f / math.Pow10(st.dec.scale)), nil
	case isIntType(a.out.Type) && st.dec.scale == 0:
		u := st.dec.unscaled()
		if u.IsInt64() {
			return mysql.NewFieldValue(mysql.FieldValueTypeSigned, uint64(u.Int64()), nil), nil
		}
		if u.IsUint64() {
			return mysql.NewFieldValue(mysql.FieldValueTypeUnsigned, u.Uint64(), nil), nil
		}
		return mysql.FieldValue{}, mysql.NewError(mysql.ER_DATA_OUT_OF_RANGE,
			"Shardline merge: SUM value "+u.String()+" is out of range of its BIGINT column")
	}
	scale := int(a.out.Decimal)
	if a.out.Type != mysql.MYSQL_TYPE_NEWDECIMAL && a.out.Type != mysql.MYSQL_TYPE_DECIMAL {
		scale = st.dec.scale
	}
	return mysql.NewFieldValue(mysql.FieldValueTypeString, 0, st.dec.appendText(nil, scale)), nil
}

func floatValue(f float64) mysql.FieldValue {
	return mysql.NewFieldValue(mysql.FieldValueTypeFloat, math.Float64bits(f), nil)
}

// toInt64 reads a partial COUNT.
func toInt64(v *mysql.FieldValue) (int64, error) {
	switch v.Type {
	case mysql.FieldValueTypeNull:
		return 0, nil
	case mysql.FieldValueTypeSigned, mysql.FieldValueTypeUnsigned:
		return v.AsInt64(), nil
	case mysql.FieldValueTypeFloat:
		return int64(v.AsFloat64()), nil
	}
	n, err := strconv.ParseInt(string(v.AsString()), 10, 64)
	if err != nil {
		return 0, mysql.NewError(mysql.ER_TRUNCATED_WRONG_VALUE,
			"Shardline merge: partial count "+strconv.Quote(string(v.AsString()))+" is not an integer")
	}
	return n, nil
}
